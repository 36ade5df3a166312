/** Where the probes are served: `/health/live` and `/health/ready`. */
export const HEALTH_PATH = 'health';
