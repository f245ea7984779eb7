/** CSV as Bulk API 2.0 reads and writes it (RFC 4180 quoting, a chosen delimiter, LF or CRLF). */

export const DELIMITERS: Record<string, string> = {
  BACKQUOTE: '`',
  CARET: '^',
  COMMA: ',',
  PIPE: '|',
  SEMICOLON: ';',
  TAB: '\t',
};

export class CsvError extends Error {
  override readonly name = 'CsvError';
}

/** Parses CSV text into rows of cells. A final line break is optional; blank lines are skipped. */
export function parseCsv(text: string, delimiter = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = 0;
  let line = 1;
  let quotedCell = false;
  const endCell = () => {
    row.push(cell);
    cell = '';
    quotedCell = false;
  };
  const endRow = () => {
    endCell();
    if (!(row.length === 1 && row[0] === '')) rows.push(row);
    row = [];
  };
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === '"' && cell === '' && !quotedCell) {
      quotedCell = true;
      const start = line;
      i += 1;
      for (;;) {
        if (i >= text.length) throw new CsvError(`unterminated quoted field starting on line ${start}`);
        const d = text.charAt(i);
        if (d === '"') {
          if (text.charAt(i + 1) === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        if (d === '\n') line += 1;
        cell += d;
        i += 1;
      }
      const after = text.charAt(i);
      if (i < text.length && after !== delimiter && after !== '\n' && after !== '\r') {
        throw new CsvError(`unexpected character after a closing quote on line ${line}`);
      }
      continue;
    }
    if (c === delimiter) {
      endCell();
      i += 1;
      continue;
    }
    if (c === '\r' && text.charAt(i + 1) === '\n') {
      endRow();
      line += 1;
      i += 2;
      continue;
    }
    if (c === '\n') {
      endRow();
      line += 1;
      i += 1;
      continue;
    }
    if (c === '"') throw new CsvError(`a quote inside an unquoted field on line ${line}`);
    cell += c;
    i += 1;
  }
  if (cell !== '' || row.length > 0 || quotedCell) endRow();
  return rows;
}

/** One CSV line with every value quoted, as Salesforce writes result files. */
export function formatCsvLine(values: string[], delimiter = ','): string {
  return values.map((v) => `"${v.replace(/"/g, '""')}"`).join(delimiter);
}
