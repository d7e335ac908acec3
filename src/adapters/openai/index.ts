/**
 * The Transcriber port on the official OpenAI SDK: one request per call, typed errors, the API key kept out of every
 * message.
 */
export {
  OpenAITranscriber,
  promptCharsMax,
  transcriptionModels,
  transcriptionTimeoutMsDefault,
  transcriptionTimeoutMsMax,
  type OpenAITranscriberOptions,
  type TranscriberLogger,
  type TranscriptionModel,
} from './transcriber.js';
export { isRetryableStatus, isCredentialsStatus, CredentialsRejectedError } from './errors.js';
export {
  checkOpenAICredentials,
  credentialCheckTimeoutMs,
  type CredentialCheck,
  type CredentialCheckOptions,
} from './preflight.js';
