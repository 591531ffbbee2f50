/** What the CLI's commands share. */
import type { Writable } from 'node:stream';

export type Out = Pick<Writable, 'write'>;

/** What a command returns: an exit status, or RUNNING for one that serves until a signal. */
export const RUNNING = -1;

/** A mistake in how the command was called: its usage follows the message, exit status 2. */
export class UsageError extends Error {}
