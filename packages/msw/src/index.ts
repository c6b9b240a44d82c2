export * from './api.js';
export {
  checkHandlers,
  type ProviderHandlerOptions,
  type ProvidersHandlerOptions,
  providerHandlers,
  runflowHandlers,
  supermetricsHandlers,
} from './msw.js';
