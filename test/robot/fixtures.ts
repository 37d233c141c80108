/**
 * The real robot descriptions the robot tests read: example-robot-data's UR5 and Panda, in the
 * shared fixtures beside the checkout (never copied into the project). Tests that need them are
 * skipped, with a message saying where they were looked for, when the folder is absent.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { UserError } from '../../src/errors.js';

export const EXAMPLE_ROBOT_DATA = fileURLToPath(new URL('../../../shared/fixtures/example-robot-data', import.meta.url));
export const HAVE_FIXTURES = existsSync(EXAMPLE_ROBOT_DATA);
export const PACKAGES = { 'example-robot-data': EXAMPLE_ROBOT_DATA };
export const UR5_URDF = `${EXAMPLE_ROBOT_DATA}/robots/ur_description/urdf/ur5_robot.urdf`;
export const PANDA_URDF = `${EXAMPLE_ROBOT_DATA}/robots/panda_description/urdf/panda.urdf`;

/** A describe() title that says why the block is skipped when the fixtures are missing. */
export function fixtureTitle(title: string): string {
  if (HAVE_FIXTURES) return title;
  console.warn(`robot tests: ${EXAMPLE_ROBOT_DATA} is absent; skipping "${title}"`);
  return `${title} (SKIPPED: example-robot-data not found at ${EXAMPLE_ROBOT_DATA})`;
}

/** Runs `fn`, expects a UserError with a one-line message, and returns that message. */
export function userError(fn: () => unknown): string {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a UserError').toBeInstanceOf(UserError);
  const message = (caught as UserError).message;
  expect(message).not.toContain('\n');
  return message;
}
