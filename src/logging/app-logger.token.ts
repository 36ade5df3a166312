/** Injection token of the app's pino logger (`createAppLogger`), for the request logger. */
export const APP_LOGGER = Symbol('APP_LOGGER');
