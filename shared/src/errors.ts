/**
 * Error classes whose names say who is at fault. Every error carries a stable `code`
 * that goes on the bus (request responses, error states) and into counters.
 */
export class VoxbusError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The configuration (defaults, file or environment) is invalid. Fatal at startup. */
export class ConfigError extends VoxbusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('config_invalid', message, options);
  }
}

/** Bytes or JSON from the wire do not follow the contract. The message is dropped and counted. */
export class ProtocolError extends VoxbusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('protocol_invalid', message, options);
  }
}

/** This process tried to publish something the contract forbids: a bug in the caller. */
export class ContractError extends VoxbusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('contract_violation', message, options);
  }
}

/** A wait ran out. */
export class TimeoutError extends VoxbusError {
  constructor(message: string) {
    super('timeout', message);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
