/**
 * A mistake in the user's input (scene file, flags, assets). The CLI prints its message alone,
 * never a stack trace; anything else that escapes is a bug and keeps its stack.
 */
export class UserError extends Error {
  override name = 'UserError';
}
