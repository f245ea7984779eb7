/** Resident memory of this process: sampled while work runs, and the kernel's high-water mark. */

export const toMb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

export interface MemoryFigures {
  /** RSS when sampling started (MB). */
  startRssMb: number;
  /** Highest sampled RSS (MB). */
  sampledPeakRssMb: number;
  /** The kernel's maximum RSS of this process over its whole life (MB): catches spikes between samples. */
  maxRssMb: number;
  /** Highest sampled V8 heap used (MB). */
  peakHeapUsedMb: number;
  samples: number;
}

/** Samples process.memoryUsage() every `intervalMs` until stop(). */
export class RssSampler {
  private readonly timer: NodeJS.Timeout;
  private readonly start: number;
  private peak: number;
  private peakHeap: number;
  private count = 0;

  constructor(intervalMs = 50) {
    const m = process.memoryUsage();
    this.start = m.rss;
    this.peak = m.rss;
    this.peakHeap = m.heapUsed;
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** RSS every time (cheap); the V8 heap every 10th time (process.memoryUsage() walks the heap spaces). */
  sample(): void {
    this.count += 1;
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
    if (this.count % 10 === 0) {
      const heap = process.memoryUsage().heapUsed;
      if (heap > this.peakHeap) this.peakHeap = heap;
    }
  }

  stop(): MemoryFigures {
    this.sample();
    this.peakHeap = Math.max(this.peakHeap, process.memoryUsage().heapUsed);
    clearInterval(this.timer);
    return {
      startRssMb: toMb(this.start),
      sampledPeakRssMb: toMb(this.peak),
      maxRssMb: maxRssMb(),
      peakHeapUsedMb: toMb(this.peakHeap),
      samples: this.count,
    };
  }
}

/** ru_maxrss of this process (Linux reports kilobytes). */
export function maxRssMb(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}
