/**
 * Log messages that something else depends on: the stack's metric filters
 * match them exactly (lib/infra/operational-alarms.ts), so a reworded log
 * line would silence an alarm. One constant, used by both sides.
 */

/** `advance`: a customer's journey is on a workflow version that is not deployed (the JourneysParked alarm). */
export const JOURNEY_PARKED = 'journey parked';
