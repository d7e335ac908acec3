/** The Media port on ffmpeg (fluent-ffmpeg): probe a source, extract one chunk as bit-exact 16-bit PCM WAV. */
export {
  FfmpegMedia,
  toolTimeoutMsDefault,
  toolTimeoutMsMax,
  uploadBytesMaxDefault,
  wavHeaderBytesMax,
  type ChunkFormat,
  type FfmpegMediaOptions,
} from './media.js';
export { seekPrerollMs } from './extract.js';
export { ToolUnavailableError } from './source.js';
export { checkMediaTools, toolCheckTimeoutMs, type ToolProblem } from './preflight.js';
