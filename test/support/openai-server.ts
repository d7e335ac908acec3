export * from '../../sim/live/openai-server.js';
