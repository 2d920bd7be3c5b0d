/** A planted bug three bytes deep, for checking that the fuzz engine is coverage-guided. */
export function planted(b: Buffer): void {
  if (b.length > 3 && b[0] === 0x64) {
    if (b[1] === 0x73) {
      if (b[2] === 0x64) {
        if (b[3] === 0x21) throw new Error('planted');
      }
    }
  }
}
