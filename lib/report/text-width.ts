/**
 * Text widths without a browser: the graph is laid out in Node, so labels are
 * measured with Helvetica's advance widths (Arial and Liberation Sans share
 * them), the font the report's SVG asks for. Close enough to size cards and
 * edge labels and to cut long labels with an ellipsis.
 */

// Advance widths in 1/1000 em for U+0020…U+007E (Helvetica, regular).
const WIDTHS = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space ! " # $ % & ' ( ) * + , - . /
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0-9 : ; < = > ?
  1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ A-O
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P-Z [ \ ] ^ _
  333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` a-o
  556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p-z { | } ~
];

function advance(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  if (code >= 0x20 && code <= 0x7e) return WIDTHS[code - 0x20]!;
  if (code >= 0x2e80) return 1000; // CJK and wider scripts
  return 600;
}

/** Width in px of `text` at `size` px; bold text is about 7% wider. */
export function textWidth(text: string, size: number, bold = false): number {
  let units = 0;
  for (const char of text) units += advance(char);
  return (units / 1000) * size * (bold ? 1.07 : 1);
}

/** `text`, cut with an ellipsis to fit `maxWidth` px. */
export function ellipsize(text: string, size: number, maxWidth: number, bold = false): string {
  if (textWidth(text, size, bold) <= maxWidth) return text;
  const chars = [...text];
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (textWidth(`${chars.slice(0, mid).join('')}…`, size, bold) <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return `${chars.slice(0, lo).join('').trimEnd()}…`;
}
