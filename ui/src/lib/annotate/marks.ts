// Marks as the layer works with them: an annotation's shape apart from its other fields, and a
// new mark made on this computer (the window makes its id, so a create sent again, or undone
// and redone, is the same mark).

import type { Annotation, Shape, Style } from '../bindings';

export const shapeOf = (a: Annotation): Shape => ({ kind: a.kind, geometry: a.geometry }) as Shape;

export function newMark(documentId: string, page: number, shape: Shape, style: Style, text: string | null = null): Annotation {
  const now = new Date().toISOString();
  return {
    id: crypto.randomUUID(),
    document_id: documentId,
    page_number: page,
    ...shape,
    style,
    text,
    created_by: '',
    created_by_name: 'You',
    created_at: now,
    updated_at: now,
    version: 0,
  } as Annotation;
}
