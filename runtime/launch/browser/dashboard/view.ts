/** One page of the dashboard: its element, refreshed from the API every second while shown. */
export interface View {
  root: HTMLElement;
  /** Reads the API and redraws; a rejection is shown above the view and the next refresh tries again. */
  refresh(): Promise<void>;
  /** Called when the view is left (plots are destroyed). */
  dispose?(): void;
}
