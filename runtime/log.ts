/** Structured JSON logs: one line per event, with service id and (when known) trace id. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  readonly enabled: (level: LogLevel) => boolean;
  readonly log: (level: LogLevel, msg: string, fields?: LogFields) => void;
}

export function createLogger(
  service: string,
  level: LogLevel,
  write: (line: string) => void,
  now: () => Date = () => new Date(),
): Logger {
  const enabled = (l: LogLevel): boolean => RANK[l] >= RANK[level];
  return {
    enabled,
    log: (l, msg, fields = {}) => {
      if (!enabled(l)) return;
      write(JSON.stringify({ ts: now().toISOString(), level: l, service, msg, ...fields }));
    },
  };
}

export function isLogLevel(s: string): s is LogLevel {
  return Object.prototype.hasOwnProperty.call(RANK, s);
}
