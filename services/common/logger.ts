// Structured JSON logging (pino) shared by every process of the cluster.
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The root logger of a process; add context with `logger.child({ service, model, version })`.
 * Level from `LOG_LEVEL` (default `info`); errors go under `err`.
 * @example rootLogger('gateway').info({ port }, 'listening')
 */
export function rootLogger(service: string): Logger {
  return pino({
    name: 'spinexr',
    level: process.env.LOG_LEVEL ?? 'info',
    base: { service, pid: process.pid },
    serializers: { err: pino.stdSerializers.err },
  });
}
