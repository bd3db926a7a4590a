// Bundled by tests/edge/bundle/quiet-debug.test.ts with the edge's bundler: parses one PUBLISH
// with mqtt-packet (whose parser logs through `debug` on every packet) and says which `debug` it got.
// @ts-expect-error the debug package ships no types (and none are a dependency of ours)
import createDebug from 'debug';
import mqttPacket from 'mqtt-packet';

const parser = mqttPacket.parser({ protocolVersion: 4 });
let topic = '';
parser.on('packet', (p) => { topic = 'topic' in p ? String(p.topic) : ''; });
parser.parse(mqttPacket.generate({ cmd: 'publish', topic: 'probe/t', payload: Buffer.from('{"value":1}'), qos: 1, messageId: 7, dup: false, retain: false }));
const log = (createDebug as (ns: string) => { enabled: boolean })('mqtt-packet:parser');
// the real debug gives every logger a colour; the bundle's quiet one has none
process.stdout.write(JSON.stringify({ topic, parserLogOn: log.enabled, quiet: !('useColors' in log) }) + '\n');
