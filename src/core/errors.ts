// Two kinds of failure, as Shopify cli-kit splits them: an *abort* is expected (the user
// can act on it: a bad manifest, a missing tool, a refused disk) and is printed as one
// clear message with a hint; anything else is a bug and keeps its stack.

export type ErrorCode =
  | 'USAGE'
  | 'MANIFEST_NOT_FOUND'
  | 'MANIFEST_YAML'
  | 'MANIFEST_SCHEMA'
  | 'MANIFEST_API_VERSION'
  | 'MANIFEST_RULE'
  | 'TOOL_MISSING'
  | 'COMMAND_FAILED'
  | 'NOT_ROOT'
  | 'DEVICE'
  | 'REPO'
  | 'REFUSED'
  | 'PARSE'
  | 'MERGE_CONFLICT';

export class UserError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  /** Exit status: 2 for usage errors, 1 for everything else. */
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = code === 'USAGE' ? 2 : 1;
  }
}

/** A tool printed something we could not make sense of: not the user's fault, but not a crash either. */
export class ParseError extends UserError {
  constructor(what: string, detail: string) {
    super('PARSE', `could not parse ${what}: ${detail}`, {
      hint: 'this is probably a tool version sysmanifest does not know yet; please report it with the tool output',
    });
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

/** An error as one report line: its message, and what to do when it says (a UserError's hint). */
export function messageWithHint(e: unknown): string {
  return isUserError(e) && e.hint ? `${e.message} (${e.hint})` : e instanceof Error ? e.message : String(e);
}
