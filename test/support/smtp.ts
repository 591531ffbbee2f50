/** A real SMTP server (the smtp-server package) on 127.0.0.1 keeping every message, parsed with mailparser. */
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpMessage {
  from: string;
  to: string[];
  raw: string;
  parsed: ParsedMail;
}

export interface SmtpSink {
  port: number;
  messages: SmtpMessage[];
  /** Whether the last session upgraded with STARTTLS and who authenticated. */
  sessions: { secure: boolean; user: string | undefined }[];
  /** Refuse the next n recipients with this SMTP code (450 temporary, 550 permanent). */
  refuse(code: number, n: number): void;
  close(): Promise<void>;
}

export async function startSmtp(options: { user?: string; password?: string } = {}): Promise<SmtpSink> {
  const messages: SmtpMessage[] = [];
  const sessions: SmtpSink['sessions'] = [];
  let refusal = { code: 0, n: 0 };
  const server = new SMTPServer({
    logger: false,
    authMethods: ['PLAIN'],
    authOptional: !options.user,
    onAuth(auth, _session, callback) {
      if (auth.username === options.user && auth.password === options.password) return callback(null, { user: auth.username });
      callback(new Error('invalid credentials'));
    },
    onRcptTo(_address, _session, callback) {
      if (refusal.n > 0) {
        refusal.n--;
        const error = Object.assign(new Error('refused on purpose'), { responseCode: refusal.code });
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        sessions.push({ secure: session.secure, user: session.user as string | undefined });
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          parsed: await simpleParser(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    messages,
    sessions,
    refuse(code, n) {
      refusal = { code, n };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
