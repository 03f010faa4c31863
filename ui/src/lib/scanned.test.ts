import { describe, expect, it } from 'vitest';
import { isPicture, mergeOrder, move } from './scanned';
import type { FileCheck } from './bindings';

const f = (path: string, content_type: string | null = 'image/jpeg'): FileCheck => ({
  path,
  file_name: path,
  suggested_title: path,
  size: 1,
  content_type,
  preview_id: null,
  problems: [],
});

describe('the Scanned inbox order', () => {
  it('keeps a chosen order, drops scans gone from the folder and adds new ones at the end', () => {
    expect(mergeOrder([], [f('a'), f('b')])).toEqual(['a', 'b']);
    expect(mergeOrder(['b', 'a'], [f('a'), f('b'), f('c')])).toEqual(['b', 'a', 'c']);
    expect(mergeOrder(['b', 'a', 'c'], [f('c'), f('a')])).toEqual(['a', 'c']);
  });

  it('moves a page up or down, never past the ends', () => {
    expect(move(['a', 'b', 'c'], 'c', -1)).toEqual(['a', 'c', 'b']);
    expect(move(['a', 'b', 'c'], 'a', -1)).toEqual(['a', 'b', 'c']);
    expect(move(['a', 'b', 'c'], 'a', 5)).toEqual(['b', 'c', 'a']);
    expect(move(['a', 'b'], 'zzz', 1)).toEqual(['a', 'b']);
  });

  it('only pictures can be turned or combined', () => {
    expect(isPicture(f('a.jpg'))).toBe(true);
    expect(isPicture(f('a.pdf', 'application/pdf'))).toBe(false);
    expect(isPicture(f('bad.jpg', null))).toBe(false);
  });
});
