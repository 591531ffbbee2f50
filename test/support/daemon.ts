/** A Debian daemon of the Prometheus family started on 127.0.0.1 and waited for until `/-/ready` answers. */
import { spawn } from 'node:child_process';

export interface Daemon {
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
}

/** Starts `command args`, polls `${url}/-/ready` for up to `timeoutMs`, and fails with the daemon's log tail. */
export async function startDaemon(command: string, args: readonly string[], url: string, timeoutMs = 20_000): Promise<Daemon> {
  const child = spawn(command, args);
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      kill();
      throw new Error(`${command} did not start:\n${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      process.off('exit', kill);
    },
  };
}
