/**
 * The AWS SDK prints, once per process, that its releases after January 2027
 * will need Node.js 22. It is a notice for whoever upgrades the SDK, not for
 * someone running Waymark: keep it out of the terminal, and every other warning in.
 */
export function hideSdkNodeVersionNotice(): void {
  const original = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.message.startsWith('NodeVersionSupportWarning')) return;
    for (const listener of original) listener(warning);
  });
}
