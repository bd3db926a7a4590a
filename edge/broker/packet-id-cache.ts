import { writeToStream } from 'mqtt-packet';

// mqtt-packet (under both mqtt.js and aedes) builds, on its first write, a cache of 65 536
// two-byte Buffers, one per packet id. Each is a JS object of ~100 bytes: ~6 MB of the gateway's
// V8 heap for the life of the process (a heap snapshot of the edge mid-drain: 65 536 of its
// ~66 000 Buffers, 6.0 of 26.9 MB), and 65 536 more objects every full GC has to mark. Without the
// cache it allocates two bytes from Node's Buffer pool per packet id written. Imported for this
// effect by the broker client and the embedded broker, before either writes a packet: once built,
// the cache is kept whatever the flag says.
writeToStream.cacheNumbers = false;
