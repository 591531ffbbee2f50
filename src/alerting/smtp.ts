/**
 * A small SMTP client (RFC 5321) over node:net and node:tls: EHLO, STARTTLS
 * (or TLS from the start), AUTH PLAIN, MAIL/RCPT/DATA with dot-stuffing,
 * QUIT. One connection per message: alert e-mail is rare, and a fresh
 * connection never inherits a broken one. Replies in 4xx are retryable,
 * 5xx are not (the message would be refused again). This avoids a runtime
 * dependency for one channel; tests run it against the `smtp-server` package.
 */
import { type Socket, connect as connectTcp } from 'node:net';
import { type TLSSocket, connect as connectTls } from 'node:tls';
import { DeliveryError } from './notification.js';

export interface SmtpOptions {
  host: string;
  port: number;
  security: 'starttls' | 'tls' | 'none';
  auth?: { username: string; password: string };
  rejectUnauthorized: boolean;
  /** Name given in EHLO. Default "omnimeter.invalid". */
  clientName?: string;
  signal?: AbortSignal;
}

interface Reply {
  code: number;
  lines: string[];
}

class Connection {
  private buffer = '';
  private replies: Reply[] = [];
  private waiting: ((reply: Reply | Error) => void) | undefined;
  private partial: string[] = [];
  private failure: Error | undefined;

  constructor(public socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  attach(socket: Socket | TLSSocket): void {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new DeliveryError('SMTP connection closed')));
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      const m = /^(\d{3})([ -])(.*)$/.exec(line);
      if (!m) return this.fail(new DeliveryError(`SMTP: malformed reply line ${JSON.stringify(line)}`));
      this.partial.push(m[3]!);
      if (m[2] === ' ') {
        this.replies.push({ code: Number(m[1]), lines: this.partial });
        this.partial = [];
      }
    }
    this.deliver();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.deliver();
  }

  private deliver(): void {
    if (!this.waiting) return;
    const next = this.replies.shift() ?? this.failure;
    if (!next) return;
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve(next);
  }

  reply(): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.waiting = (r) => (r instanceof Error ? reject(r) : resolve(r));
      this.deliver();
    });
  }

  /** Sends a command and checks the reply code class. */
  async command(line: string | undefined, expect: number, what: string): Promise<Reply> {
    if (line !== undefined) this.socket.write(`${line}\r\n`);
    const reply = await this.reply();
    if (Math.floor(reply.code / 100) !== Math.floor(expect / 100)) {
      throw new DeliveryError(`SMTP ${what}: ${reply.code} ${reply.lines.join(' ')}`, reply.code < 500);
    }
    return reply;
  }
}

function open(options: SmtpOptions): Promise<Socket | TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket =
      options.security === 'tls'
        ? connectTls({ host: options.host, port: options.port, servername: options.host, rejectUnauthorized: options.rejectUnauthorized })
        : connectTcp({ host: options.host, port: options.port });
    socket.once(options.security === 'tls' ? 'secureConnect' : 'connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function upgrade(socket: Socket, options: SmtpOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    socket.removeAllListeners('data');
    socket.removeAllListeners('close');
    socket.removeAllListeners('error');
    const tls = connectTls({ socket, servername: options.host, rejectUnauthorized: options.rejectUnauthorized }, () => {
      tls.off('error', reject);
      resolve(tls);
    });
    tls.once('error', reject);
  });
}

/** Lines starting with "." get another (RFC 5321 4.5.2); line ends become CRLF. */
export function dotStuff(message: string): string {
  return message
    .replace(/\r?\n/g, '\r\n')
    .split('\r\n')
    .map((line) => (line.startsWith('.') ? `.${line}` : line))
    .join('\r\n');
}

/** Sends one message to every recipient; throws a DeliveryError (retryable unless the server said 5xx). */
export async function sendMail(options: SmtpOptions, envelope: { from: string; to: readonly string[] }, message: string): Promise<void> {
  let socket: Socket | TLSSocket;
  try {
    socket = await open(options);
  } catch (error) {
    throw new DeliveryError(`SMTP connect to ${options.host}:${options.port}: ${(error as Error).message}`);
  }
  const onAbort = () => socket.destroy(new DeliveryError('SMTP: timed out'));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const conn = new Connection(socket);
  const name = options.clientName ?? 'omnimeter.invalid';
  try {
    await conn.command(undefined, 220, 'greeting');
    let ehlo = await conn.command(`EHLO ${name}`, 250, 'EHLO');
    if (options.security === 'starttls') {
      if (!ehlo.lines.some((l) => /^STARTTLS\b/i.test(l))) throw new DeliveryError('SMTP: the server does not offer STARTTLS', false);
      await conn.command('STARTTLS', 220, 'STARTTLS');
      conn.attach(await upgrade(socket as Socket, options));
      ehlo = await conn.command(`EHLO ${name}`, 250, 'EHLO after STARTTLS');
    }
    if (options.auth) {
      if (!ehlo.lines.some((l) => /^AUTH\b.*\bPLAIN\b/i.test(l)))
        throw new DeliveryError('SMTP: the server does not offer AUTH PLAIN', false);
      const token = Buffer.from(`\0${options.auth.username}\0${options.auth.password}`).toString('base64');
      await conn.command(`AUTH PLAIN ${token}`, 235, 'AUTH');
    }
    await conn.command(`MAIL FROM:<${envelope.from}>`, 250, 'MAIL FROM');
    for (const to of envelope.to) await conn.command(`RCPT TO:<${to}>`, 250, `RCPT TO ${to}`);
    await conn.command('DATA', 354, 'DATA');
    await conn.command(`${dotStuff(message.replace(/\r?\n$/, ''))}\r\n.`, 250, 'message');
    await conn.command('QUIT', 221, 'QUIT').catch(() => {});
  } catch (error) {
    if (options.signal?.aborted) throw new DeliveryError('SMTP: timed out');
    throw error instanceof DeliveryError ? error : new DeliveryError(`SMTP: ${(error as Error).message}`);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    conn.socket.destroy();
  }
}

/** A header value, as RFC 2047 encoded-words when it is not plain ASCII; folded to stay under 998 octets. */
export function encodeHeader(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value) && value.length <= 900) return value;
  const words: string[] = [];
  let chunk = '';
  for (const ch of value) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join('\r\n ');
}

/** An RFC 5322 text/plain message (UTF-8, base64 body). */
export function formatMessage(fields: {
  from: string;
  to: readonly string[];
  subject: string;
  text: string;
  messageId: string;
  date: Date;
  headers?: Readonly<Record<string, string>>;
}): string {
  const body = Buffer.from(fields.text.replace(/\r?\n/g, '\r\n')).toString('base64').replace(/.{76}/g, '$&\r\n');
  const headers = [
    `From: ${fields.from}`,
    `To: ${fields.to.join(', ')}`,
    `Subject: ${encodeHeader(fields.subject)}`,
    `Date: ${fields.date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${fields.messageId}>`,
    ...Object.entries(fields.headers ?? {}).map(([k, v]) => `${k}: ${encodeHeader(v)}`),
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body.replace(/\r\n$/, '')}\r\n`;
}
