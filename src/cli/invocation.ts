// How dsctl was invoked, decided by main() before oclif dispatches (oclif hands commands the
// canonical id, not the spelling the user typed).
export const invocation = {
  /** The kamcli spelling (`dsctl dispatcher list`) was used: render tables by default. */
  kamcliStyle: false,
};
