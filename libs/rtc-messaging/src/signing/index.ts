export * from './v4-signature';
export { V4Signer } from './v4-signer';
