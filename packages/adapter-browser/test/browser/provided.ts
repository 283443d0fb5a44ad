/** What `globalSetup.ts` provides to the browser tests (`inject('filesOrigin')`). */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Origin of the first fault server (cross-origin to the test page). */
    filesOrigin: string;
    /** Origin of a second fault server, for cross-origin redirects. */
    otherOrigin: string;
  }
}

export {};
