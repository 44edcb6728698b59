// Base class for page elements: lifecycle (load on connect, stop timers and charts on disconnect) and polling.

export class Page extends HTMLElement {
  constructor() {
    super();
    this.params = { id: null, query: new URLSearchParams() };
    this.alive = false;
    this.charts = [];
    this.timer = null;
  }

  connectedCallback() {
    this.alive = true;
    this.classList.add('page');
    this.render();
  }

  disconnectedCallback() {
    this.alive = false;
    clearTimeout(this.timer);
    this.timer = null;
    this.pollGeneration = (this.pollGeneration || 0) + 1;
    this.charts.forEach((c) => c.destroy());
    this.charts = [];
  }

  /** Subclasses build their DOM here. */
  render() {}

  /** Keeps a chart handle so it is destroyed with the page. */
  keepChart(handle) {
    this.charts.push(handle);
    return handle;
  }

  /** A number for the latest load: replies of earlier loads check it and are dropped. */
  nextLoad() {
    this.loadSeq = (this.loadSeq || 0) + 1;
    return this.loadSeq;
  }

  dropCharts() {
    this.charts.forEach((c) => c.destroy());
    this.charts = [];
  }

  /** Calls fn every ms while the page is shown, never overlapping; fn returns false to stop. */
  poll(fn, ms = 2000) {
    clearTimeout(this.timer);
    const generation = (this.pollGeneration = (this.pollGeneration || 0) + 1);
    const tick = async () => {
      if (!this.alive || generation !== this.pollGeneration) return;
      let again = true;
      try {
        again = (await fn()) !== false;
      } catch {
        // fn shows its own errors; keep polling
      }
      if (this.alive && again && generation === this.pollGeneration) this.timer = setTimeout(tick, ms);
    };
    this.timer = setTimeout(tick, ms);
  }
}
