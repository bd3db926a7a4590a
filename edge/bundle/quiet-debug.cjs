'use strict';
// `debug` as the edge bundle sees it (edge/bundle/build-for-node.ts routes every
// require('debug') here). mqtt-packet's parser calls its logger a dozen times per packet, and the
// real `debug` gathers each call's arguments into an array before it looks whether its namespace
// is on: 0.7 KB of garbage per device frame, a seventh of the gateway's allocation on the device
// path (heap sampling, 2026-12-06). When DEBUG is set at start the real module serves every
// logger, as before; otherwise every logger is a function that does nothing.
if (process.env.DEBUG) {
  module.exports = require('debug');
} else {
  const nothing = () => {};
  const logger = (namespace) => {
    const log = () => {};
    log.namespace = namespace;
    log.enabled = false;
    log.log = nothing;
    log.destroy = nothing;
    log.extend = (sub, delimiter = ':') => logger(`${namespace}${delimiter}${sub}`);
    return log;
  };
  const createDebug = (namespace) => logger(namespace);
  Object.assign(createDebug, {
    debug: createDebug, default: createDebug, names: [], skips: [], formatters: {},
    enable: nothing, disable: () => '', enabled: () => false, coerce: (v) => v, log: nothing,
    selectColor: () => 0, humanize: (ms) => `${ms}ms`, destroy: nothing,
  });
  module.exports = createDebug;
}
