export * from './api.js';
export {
  checkHandlers,
  mockProviderHandlers,
  type ProviderHandlerOptions,
  type ProvidersHandlerOptions,
  providerHandlers,
  runflowHandlers,
  supermetricsHandlers,
} from './msw.js';
