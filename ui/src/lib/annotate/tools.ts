// The annotation tools, their keyboard shortcuts, and the colours and stroke widths offered.

export type Tool = 'pan' | 'select' | 'marker' | 'drawing' | 'text' | 'highlight' | 'arrow' | 'measure' | 'angle';

export const TOOLS: { id: Tool; label: string; key: string }[] = [
  { id: 'pan', label: 'Pan', key: 'h' },
  { id: 'select', label: 'Select', key: 'v' },
  { id: 'marker', label: 'Marker', key: 'm' },
  { id: 'drawing', label: 'Pen', key: 'p' },
  { id: 'text', label: 'Text', key: 't' },
  { id: 'highlight', label: 'Highlight', key: 'g' },
  { id: 'arrow', label: 'Arrow', key: 'a' },
  { id: 'measure', label: 'Measure', key: 'l' },
  { id: 'angle', label: 'Angle', key: 'n' },
];

export const COLORS = ['#e53935', '#fdd835', '#43a047', '#1e88e5', '#000000', '#ffffff'];

/** Stroke widths as a fraction of the page width (the server accepts up to 0.1). */
export const WIDTHS = [
  { w: 0.002, label: 'Thin' },
  { w: 0.004, label: 'Medium' },
  { w: 0.008, label: 'Thick' },
];
