// What the window checks of a new password before sending it: typed the same twice, and long
// enough. The server checks the rest (common passwords, ones built on the person's name).

/** Why the new password cannot be sent yet, or '' when it can. */
export function passwordProblem(password: string, again: string, minChars: number): string {
  if ([...password].length < minChars) return `The password is too short: use at least ${minChars} characters.`;
  if (password !== again) return 'The two passwords are not the same. Type the new password twice.';
  return '';
}
