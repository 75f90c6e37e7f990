// Errors thrown by the Hush JS API. `.code` is the C status name (hush_status_name), e.g.
// "HUSH_EARG"; `.status` is the numeric C status. Parse errors also say where.

export class HushError extends Error {
  constructor(code, message, status) {
    super(message);
    this.name = 'HushError';
    this.code = code;
    this.status = status;
  }
}

// A malformed data set, model spec or model file: `.line` (1-based, 0 if not a text format),
// `.offset` (byte offset) and `.msg` (the parser's own words).
export class HushParseError extends HushError {
  constructor(code, message, status, { line = 0, offset = 0, msg = '' } = {}) {
    super(code, message, status);
    this.name = 'HushParseError';
    this.line = line;
    this.offset = offset;
    this.msg = msg;
  }
}
