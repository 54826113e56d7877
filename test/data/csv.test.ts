import { describe, expect, it } from 'vitest';
import { csvDatasets, parseCsv } from '../../src/data/csv.js';
import { LocalpropError } from '../../src/util/errors.js';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LocalpropError);
    return (error as Error).message;
  }
  throw new Error('expected a LocalpropError');
}

const sources = { trainSource: 'train.csv', testSource: 'test.csv' };

describe('parseCsv', () => {
  it('reads a file with a header', () => {
    const parsed = parseCsv('age, height ,label\n1,2,0\n3.5,-4e1,1\n', 'a.csv');
    expect(parsed.header).toEqual(['age', 'height', 'label']);
    expect(parsed.rows).toBe(2);
    expect(parsed.featureCount).toBe(2);
    expect(parsed.targetCount).toBe(1);
    expect(Array.from(parsed.features)).toEqual([1, 2, 3.5, -40]);
    expect(Array.from(parsed.targets)).toEqual([0, 1]);
  });

  it('reads a file without a header', () => {
    const parsed = parseCsv('1,2,0\n3,4,1', 'a.csv');
    expect(parsed.header).toBeNull();
    expect(parsed.rows).toBe(2);
    expect(Array.from(parsed.features)).toEqual([1, 2, 3, 4]);
  });

  it('treats a header with some numeric names as a header', () => {
    const parsed = parseCsv('x1,2,y\n1,2,0', 'a.csv');
    expect(parsed.header).toEqual(['x1', '2', 'y']);
    expect(parsed.rows).toBe(1);
  });

  it('handles CRLF, surrounding whitespace and blank lines', () => {
    const parsed = parseCsv('a,b,c\r\n\r\n 1 , 2 ,0\r\n   \r\n3,4, 1 \r\n', 'a.csv');
    expect(parsed.rows).toBe(2);
    expect(Array.from(parsed.features)).toEqual([1, 2, 3, 4]);
    expect(Array.from(parsed.targets)).toEqual([0, 1]);
  });

  it('splits off several target columns', () => {
    const parsed = parseCsv('1,2,3,4\n5,6,7,8', 'a.csv', { targets: 2 });
    expect(parsed.featureCount).toBe(2);
    expect(parsed.targetCount).toBe(2);
    expect(Array.from(parsed.features)).toEqual([1, 2, 5, 6]);
    expect(Array.from(parsed.targets)).toEqual([3, 4, 7, 8]);
  });

  it('reports a ragged row with its line number, counting header and blank lines', () => {
    const text = 'a,b,c\n1,2,0\n\n3,4,1\n5,6,0\n\n7,8\n';
    const message = errorOf(() => parseCsv(text, 'data.csv'));
    expect(message).toContain('`data.csv` line 7: expected 3 columns, found 2');
    expect(message).toContain('remove the row or fill the missing value');
    expect(errorOf(() => parseCsv('1,2,0\n1,2,3,4', 'd.csv'))).toContain('line 2: expected 3 columns, found 4');
  });

  it('reports a non-numeric cell with line, column, header name and text', () => {
    const message = errorOf(() => parseCsv('age,height,label\n1,2,0\n1,tall,1', 'data.csv'));
    expect(message).toContain('`data.csv` line 3, column 2 ("height"): "tall" is not a finite number');
    expect(message).toMatch(/fix the value or remove the row/);
  });

  it('reports an empty or non-finite cell without a header', () => {
    expect(errorOf(() => parseCsv('1,2,0\n3,,1', 'd.csv'))).toContain('line 2, column 2: empty cell');
    expect(errorOf(() => parseCsv('1,2,0\n3,1e999,1', 'd.csv'))).toContain('line 2, column 2: "1e999"');
  });

  it('treats a first line of numbers with a NaN or a gap as bad data, not a header', () => {
    expect(errorOf(() => parseCsv('1,NaN,0\n3,4,1', 'd.csv'))).toContain('line 1, column 2: "NaN"');
    expect(errorOf(() => parseCsv('\n1,,0\n3,4,1', 'd.csv'))).toContain('line 2, column 2: empty cell');
  });

  it('rejects an empty file and a header without rows', () => {
    expect(errorOf(() => parseCsv('', 'd.csv'))).toMatch(/`d.csv` is empty/);
    expect(errorOf(() => parseCsv('\r\n \n', 'd.csv'))).toMatch(/`d.csv` is empty/);
    expect(errorOf(() => parseCsv('a,b\n\n', 'd.csv'))).toMatch(/`d.csv` has a header but no data rows/);
  });

  it('reads quoted cells as spreadsheets write them (RFC 4180): a quoted number is a number', () => {
    const parsed = parseCsv('"0.3",-0.1,1\n" 2 ", "-4e1" ,"0"\n', 'a.csv');
    expect(parsed.header).toBeNull();
    expect(Array.from(parsed.features)).toEqual([0.3, -0.1, 2, -40].map(Math.fround));
    expect(Array.from(parsed.targets)).toEqual([1, 0]);
  });

  it('reads a header that quotes its names, with a comma, a doubled quote and a line break inside', () => {
    const text = '\ufeff"age, years","say ""hi""","two\nlines"\r\n1,2,0\r\n3,4,1\r\n';
    const parsed = parseCsv(text, 'a.csv');
    expect(parsed.header).toEqual(['age, years', 'say "hi"', 'two\nlines']);
    expect(Array.from(parsed.features)).toEqual([1, 2, 3, 4]);
    // The header spans lines 1-2, so the second data row is line 4.
    expect(errorOf(() => parseCsv(text.replace('3,4,1', '3,x,1'), 'a.csv'))).toContain('`a.csv` line 4, column 2 ("say "hi""): "x" is not a finite number');
  });

  it('drops a byte-order mark, so the first name is not "\\ufeffx"', () => {
    expect(parseCsv('\ufeffx,y\n1,0', 'a.csv').header).toEqual(['x', 'y']);
    expect(Array.from(parseCsv('\ufeff1,0\n2,1', 'a.csv').features)).toEqual([1, 2]);
  });

  it('reads mixed line ends (\\n, \\r\\n, a lone \\r) and counts their lines alike', () => {
    const parsed = parseCsv('a,b\n1,0\r\n2,1\r3,0\n', 'a.csv');
    expect(Array.from(parsed.features)).toEqual([1, 2, 3]);
    expect(errorOf(() => parseCsv('a,b\n1,0\r\n\r2,1\r3\n', 'a.csv'))).toContain('`a.csv` line 5: expected 2 columns, found 1');
  });

  it('names a non-numeric quoted cell by its text, quoted once', () => {
    expect(errorOf(() => parseCsv('a,b\n"tall",1', 'a.csv'))).toContain('line 2, column 1 ("a"): "tall" is not a finite number');
    // A comma inside quotes is part of the cell, not a separator.
    expect(errorOf(() => parseCsv('a,b\n"1,5",1', 'a.csv'))).toContain('line 2, column 1 ("a"): "1,5" is not a finite number');
  });

  it('refuses quoting it cannot read, with the line of the quote', () => {
    const open = errorOf(() => parseCsv('a,b\n1,0\n\n2,"1\n3,0\n', 'a.csv'));
    expect(open).toContain('`a.csv` line 4: a quoted cell opens on this line and is never closed');
    expect(errorOf(() => parseCsv('a,b\n1,0\n"2"x,1\n', 'a.csv'))).toContain('`a.csv` line 3: a quoted cell goes on after its closing quote');
  });

  it('rejects a target count that leaves no feature column', () => {
    expect(errorOf(() => parseCsv('1,2\n3,4', 'd.csv', { targets: 2 }))).toMatch(/2 columns, so --targets 2 leaves no feature column/);
    expect(errorOf(() => parseCsv('1,2', 'd.csv', { targets: 0 }))).toMatch(/targets must be a whole number/);
  });
});

describe('csvDatasets', () => {
  it('keeps binary 0/1 targets as one output', () => {
    const { train, test, classes } = csvDatasets('x,y,label\n1,2,0\n3,4,1', '5,6,1', sources);
    expect(classes).toBe(2);
    expect(train.outputSize).toBe(1);
    expect(train.inputSize).toBe(2);
    expect(Array.from(train.y)).toEqual([0, 1]);
    expect(test.count).toBe(1);
    expect(Array.from(test.x)).toEqual([5, 6]);
    expect(Array.from(test.y)).toEqual([1]);
  });

  it('turns class indices into one-hot rows, C from the training file', () => {
    const { train, test, classes } = csvDatasets('1,0\n2,2\n3,1', '4,2\n5,0', sources);
    expect(classes).toBe(3);
    expect(Array.from(train.y)).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0]);
    expect(Array.from(test.y)).toEqual([0, 0, 1, 1, 0, 0]);
  });

  it('refuses a class only the test file has, and a gap in the training labels, naming file, line and value', () => {
    expect(errorOf(() => csvDatasets('1,0\n2,2\n3,1', '4,3\n5,0', sources))).toContain("`test.csv` line 1: label 3 is not one of the training file's classes 0..2");
    const gap = errorOf(() => csvDatasets('1,0\n2,1\n\n3,7\n4,1', '4,1', sources));
    expect(gap).toContain('`train.csv` line 4: label 7 makes 8 classes, but labels 2, 3, 4, 5, 6 never appear in it');
    expect(gap).toContain('--classes 8');
    expect(errorOf(() => csvDatasets('1,1\n2,2', '4,1', sources))).toContain('label 0 never appears');
  });

  it('sizes the one-hot rows by --classes, which bounds the labels of both files', () => {
    // The train set never shows class 3; only the test set does.
    const { train, test, classes } = csvDatasets('1,0\n2,2\n3,1', '4,3\n5,0', { ...sources, classes: 4 });
    expect(classes).toBe(4);
    expect(train.outputSize).toBe(4);
    expect(test.outputSize).toBe(4);
    expect(Array.from(train.y)).toEqual([1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]);
    expect(Array.from(test.y)).toEqual([0, 0, 0, 1, 1, 0, 0, 0]);
  });

  it('refuses labels at or above --classes, and --classes with several target columns', () => {
    expect(errorOf(() => csvDatasets('1,0\n2,1', '4,1\n5,2', { ...sources, classes: 2 }))).toContain('`test.csv` line 2: label 2 is not one of the 2 classes 0..1 that --classes 2 allows');
    expect(errorOf(() => csvDatasets('1,0\n2,1', '4,1', { ...sources, classes: 1 }))).toContain('--classes must be a whole number from 2');
    expect(errorOf(() => csvDatasets('1,0,1', '4,1,0', { ...sources, targets: 2, classes: 2 }))).toContain('drop --classes');
  });

  it('uses several target columns as given', () => {
    const { train, test, classes } = csvDatasets('a,b,t1,t2\n1,2,0.25,0.75', '3,4,1,0', { ...sources, targets: 2 });
    expect(classes).toBe(2);
    expect(train.outputSize).toBe(2);
    expect(Array.from(train.y)).toEqual([0.25, 0.75]);
    expect(Array.from(test.y)).toEqual([1, 0]);
  });

  it('reads CRLF files', () => {
    const { train, test } = csvDatasets('a,b\r\n1,0\r\n2,1\r\n', '3,1\r\n', sources);
    expect(Array.from(train.x)).toEqual([1, 2]);
    expect(Array.from(test.y)).toEqual([1]);
  });

  it('rejects a non-integer target with its file and line', () => {
    const message = errorOf(() => csvDatasets('a,t\n1,0\n\n2,1.1', '1,0', sources));
    expect(message).toContain('`train.csv` line 4: target 1.1 is not a class index');
    expect(message).toMatch(/--targets/);
  });

  it('rejects a negative target in the test file with its line', () => {
    expect(errorOf(() => csvDatasets('1,0', '1,0\n2,-1', sources))).toContain('`test.csv` line 2: target -1 is not a class index');
  });

  it('rejects an absurdly large class index instead of allocating it', () => {
    expect(errorOf(() => csvDatasets('1,0\n2,1000000', '1,0', sources))).toContain('`train.csv` line 2: target 1000000');
  });

  it('rejects files with different feature counts, naming both', () => {
    const message = errorOf(() => csvDatasets('1,2,0', '1,0', sources));
    expect(message).toContain('`train.csv` has 2 feature columns but `test.csv` has 1');
  });

  it('reports parse errors with the file and line', () => {
    expect(errorOf(() => csvDatasets('1,0', '1,0\n2', sources))).toContain('`test.csv` line 2: expected 2 columns, found 1');
    expect(errorOf(() => csvDatasets('', '1,0', sources))).toContain('`train.csv` is empty');
  });
});
