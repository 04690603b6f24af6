// What a structured merger answers: a merged text, a key-level conflict (show diff3 markers), or
// "this format's grammar does not apply to these files" (also diff3, but no conflict implied).
export type Structured =
  | {
      readonly kind: 'merged';
      readonly text: string;
      /** Whether another text reads as the same keys and values as this result (parsed by the format's own parser). */
      readonly same: (text: string) => boolean;
      /** The text is a re-print (YAML's Document): theirs' indentation and quoting may have changed. */
      readonly reprinted?: boolean;
    }
  | { readonly kind: 'conflict' }
  | { readonly kind: 'unparsable' };
