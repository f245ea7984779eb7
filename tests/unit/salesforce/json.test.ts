import { locateJsonValue, parseJsonBody } from '../../../src/emulators/salesforce/json.js';

describe('strict JSON bodies', () => {
  it('parses valid JSON', () => {
    expect(parseJsonBody('{"a":[1,true,null]}')).toEqual({ ok: true, value: { a: [1, true, null] } });
  });

  it.each([
    [
      '{"Name": "x",}',
      "Unexpected character ('}' (code 125)): was expecting double-quote to start field name at [line:1, column:15]",
    ],
    [
      '{"Name" "x"}',
      "Unexpected character ('\"' (code 34)): was expecting a colon to separate field name and value at [line:1, column:10]",
    ],
    [
      '{"a":1 "b":2}',
      "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries at [line:1, column:9]",
    ],
    [
      '{"a":tru}',
      "Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false') at [line:1, column:9]",
    ],
    [
      '{"a":\n  [1,2',
      'Unexpected end-of-input: expected close marker for ARRAY (start marker at [line:2, column:3]) at [line:2, column:7]',
    ],
    ['', 'No content to map due to end-of-input at [line:1, column:1]'],
    ['{} x', "Unexpected character ('x' (code 120)): expected end of input at [line:1, column:5]"],
  ])('reports %j the way Jackson does', (text, message) => {
    expect(parseJsonBody(text)).toEqual({ ok: false, message });
  });

  it('locates a value by path, on the line where it is', () => {
    const text = '{\n  "records": [\n    {"Name": "a"},\n    {"Name": "b", "ti_activo__c": "yes"}\n  ]\n}';
    expect(locateJsonValue(text, ['records', 1, 'ti_activo__c'])).toEqual({ line: 4, column: 40 });
  });
});
