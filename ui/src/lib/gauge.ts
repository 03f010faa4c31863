// The storage gauge: how full the clinic's pool is and which colour says so.
import { formatBytes } from './format';

export type GaugeLevel = 'ok' | 'warning' | 'critical' | 'full';

export interface Gauge {
  fraction: number;
  level: GaugeLevel;
  label: string;
}

/** Warning from 80 %, critical from 95 %, full at 100 %. */
export function gauge(used: number, quota: number): Gauge {
  const fraction = quota > 0 ? Math.min(1, Math.max(0, used / quota)) : 1;
  const level: GaugeLevel =
    quota <= 0 || used >= quota ? 'full' : fraction >= 0.95 ? 'critical' : fraction >= 0.8 ? 'warning' : 'ok';
  return { fraction, level, label: `${formatBytes(used)} of ${formatBytes(quota)}` };
}
