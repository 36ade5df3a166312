export * from './v4-signature';
export { V4Signer } from './v4-signer';
export {
  CredentialsProvider,
  CredentialsProviderOptions,
  CredentialsSource,
  CredentialsRequest,
  CredentialsSupplier,
  DEFAULT_CREDENTIALS_REFRESH_BEFORE_MS,
  DEFAULT_CREDENTIALS_TIMEOUT_MS,
  EARLY_REFRESH_INTERVAL_MS,
  ExpiringCredentials,
  RefreshTimers,
} from './credentials-provider';
