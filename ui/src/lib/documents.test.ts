import { describe, expect, it } from 'vitest';
import { applyTypeFilter, countByCategory, isMultipageTiff, kindOf, step, todaysVisit, visitLabel } from './documents';
import type { Category, DocumentItem, Visit } from './bindings';

function doc(id: string, category: Category): DocumentItem {
  return {
    id, org_id: 'o', patient_id: 'p', encounter_id: null, title: id, category,
    content_type: 'application/pdf', file_size: 10, sha256: '', has_thumbnail: false, page_count: 1,
    notes: null, uploaded_by: 'u', uploaded_by_name: 'U', created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z', can_edit: true, can_delete: false, can_annotate: false,
  };
}

describe('type filter', () => {
  const items = [doc('a', 'lab'), doc('b', 'imaging'), doc('c', 'lab')];
  it('counts every type whatever is selected', () => {
    const c = countByCategory(items);
    expect(c.get('lab')).toBe(2);
    expect(c.get('imaging')).toBe(1);
    expect(c.get('photo')).toBeUndefined();
  });
  it('keeps only the chosen type, in the server order', () => {
    expect(applyTypeFilter(items, 'lab').map((d) => d.id)).toEqual(['a', 'c']);
    expect(applyTypeFilter(items, 'all')).toHaveLength(3);
    expect(applyTypeFilter(items, 'consent')).toHaveLength(0);
  });
});

describe('viewer stepping', () => {
  it('stops at both ends and handles an empty list', () => {
    expect(step(0, -1, 3)).toBe(0);
    expect(step(1, 1, 3)).toBe(2);
    expect(step(2, 1, 3)).toBe(2);
    expect(step(0, 1, 0)).toBe(-1);
  });
});

describe('visit labels and kinds', () => {
  const visits: Visit[] = [{ id: 'e1', patient_id: 'p', date: '2026-04-03', reason: 'Check-up', document_count: 1, practitioner_id: null }];
  it('names the visit by date and reason', () => {
    expect(visitLabel('e1', visits, (d) => d)).toBe('2026-04-03 · Check-up');
    expect(visitLabel(null, visits, (d) => d)).toBe('');
  });
  it('tells PDFs from images', () => {
    expect(kindOf('application/pdf')).toBe('pdf');
    expect(kindOf('image/jpeg')).toBe('image');
    expect(kindOf('application/dicom')).toBe('dicom');
  });
});

describe('todaysVisit', () => {
  const v = (id: string, date: string) => ({ id, patient_id: 'p', date, reason: 'r', document_count: 0, practitioner_id: null });
  it('is the visit opened today, else none', () => {
    expect(todaysVisit([v('a', '2026-12-01'), v('b', '2026-12-02')], '2026-12-02')).toBe('b');
    expect(todaysVisit([v('a', '2026-12-01')], '2026-12-02')).toBe('');
    expect(todaysVisit(undefined, '2026-12-02')).toBe('');
  });
});

describe('isMultipageTiff', () => {
  it('turns a TIFF of several pages like a PDF, and nothing else', () => {
    expect(isMultipageTiff({ content_type: 'image/tiff', page_count: 3 })).toBe(true);
    expect(isMultipageTiff({ content_type: 'image/tiff', page_count: 1 })).toBe(false);
    expect(isMultipageTiff({ content_type: 'image/tiff', page_count: null })).toBe(false);
    expect(isMultipageTiff({ content_type: 'application/pdf', page_count: 3 })).toBe(false);
    expect(isMultipageTiff(undefined)).toBe(false);
  });
});
