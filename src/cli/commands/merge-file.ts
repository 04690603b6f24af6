import type { Command } from 'commander';
import { UserError } from '../../core/errors.ts';
import { readInputBytes } from '../../core/input.ts';
import { formatFor, isBinary, isMergeFormat, MERGE_FORMATS, mergeFile, type MergeFormat } from '../../services/merge/engine/index.ts';
import type { Out } from './common.ts';

/** A config file is kilobytes; the cap only keeps a wrong argument (a disk image) from filling memory. */
export const MAX_MERGE_INPUT_BYTES = 64 * 1024 * 1024;

const HELP = `
Like git merge-file -p --diff3, but the order is BASE OURS THEIRS, and JSON/JSONC, YAML, INI
(.desktop, mimeapps.list), git-config and TOML files are merged key by key: edits to different
keys do not conflict, and comments and layout come from THEIRS (when you changed only comments
or layout, the line merge keeps them if it is clean). A key both sides changed, or a file that
does not parse, gets the line merge and its markers.

Output: the merged text on stdout, byte for byte (no newline added).
Exit status: 0 merged cleanly; 1 conflicts remain (diff3 markers in the output, their number on
stderr) or a binary file that cannot be merged; 2 usage error (missing or unreadable file, unknown
format, wrong number of arguments).

Labels: -L may be given up to three times, in the order of the files: base, ours, theirs.
Without it, the markers carry the file names as given.

Binary files (a NUL byte in the first 8000 bytes, or not UTF-8): when only one side changed (or
both made the same change) that side's bytes are printed and the exit status is 0; otherwise
nothing is printed, stderr names the files, and the exit status is 1: keep one side yourself
(cp OURS DEST to keep your version, cp THEIRS DEST for the new default).
`;

export function registerMergeFile(program: Command, _out: Out): void {
  program
    .command('merge-file')
    .description('three-way merge of one file (plumbing): BASE the recorded ancestor, OURS your version, THEIRS the new default')
    .argument('<base>', 'the common ancestor (what was installed when you last captured)')
    .argument('<ours>', 'your version of the file; its name decides the format')
    .argument('<theirs>', 'the version the fresh install has now')
    .option('--format <format>', `merge as ${MERGE_FORMATS.join(', ')} (default: from the name of OURS)`)
    .option('-L, --label <label>', 'label for the conflict markers, up to three times: base, ours, theirs', (v: string, prev: string[] = []) => [...prev, v])
    .addHelpText('after', HELP)
    .action(async (baseFile: string, oursFile: string, theirsFile: string, o: { format?: string; label?: string[] }) => {
      const format = chooseFormat(o.format, oursFile);
      const labels = o.label ?? [];
      if (labels.length > 3) throw new UserError('USAGE', `merge-file: -L given ${labels.length} times; at most three labels (base, ours, theirs)`, { hint: 'drop the extra -L' });
      const [base, ours, theirs] = await Promise.all([baseFile, oursFile, theirsFile].map(read));
      // stdout is the merged file itself, so it bypasses the `out` printer: that one escapes
      // control characters for the terminal, which would turn a CRLF file's \r into "\u000d".
      const write = (data: string | Uint8Array): void => void process.stdout.write(data);

      if (isBinary(base!) || isBinary(ours!) || isBinary(theirs!)) {
        const pick = trivialBytes(base!, ours!, theirs!);
        if (pick !== undefined) return write(pick);
        throw new UserError('MERGE_CONFLICT', `merge-file: ${oursFile} and ${theirsFile} are binary (or not UTF-8) and both changed since ${baseFile}; binary files are not merged`, {
          hint: `keep one side: cp ${oursFile} DEST keeps yours, cp ${theirsFile} DEST takes the new default`,
        });
      }
      const text = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
      const [l0, l1, l2] = labels;
      const r = mergeFile({ base: text(base!), ours: text(ours!), theirs: text(theirs!), format, path: oursFile, labels: { base: l0 ?? baseFile, ours: l1 ?? oursFile, theirs: l2 ?? theirsFile } });
      write(r.text);
      if (r.conflicts > 0) {
        throw new UserError('MERGE_CONFLICT', `merge-file: ${r.conflicts} conflict${r.conflicts === 1 ? '' : 's'} left in the output (${r.format}, merged by ${r.method})`, {
          hint: 'edit the blocks between <<<<<<< and >>>>>>> to what the file should say',
        });
      }
    });
}

function chooseFormat(given: string | undefined, oursFile: string): MergeFormat {
  if (given === undefined) return formatFor(oursFile);
  if (!isMergeFormat(given)) throw new UserError('USAGE', `merge-file --format ${given}: unknown format`, { hint: `use one of ${MERGE_FORMATS.join(', ')}` });
  return given;
}

function read(file: string): Promise<Buffer> {
  // allowPipe: `merge-file <(git show HEAD~1:f) f f.new` is the natural way to feed a base.
  return readInputBytes(file, { what: 'merge input', code: 'USAGE', maxBytes: MAX_MERGE_INPUT_BYTES, allowPipe: true, hints: { missing: 'give three existing files: BASE OURS THEIRS' } });
}

/** The side to take when the bytes show only one side changed; undefined when both did. */
function trivialBytes(base: Buffer, ours: Buffer, theirs: Buffer): Buffer | undefined {
  if (ours.equals(theirs) || base.equals(theirs)) return ours;
  if (base.equals(ours)) return theirs;
  return undefined;
}
