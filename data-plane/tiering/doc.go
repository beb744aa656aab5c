// Package tiering moves old message bodies out of the KV store into
// segments in an object store (see package segment) and reads them back.
//
// Reads go through a Reader, which caches whole segments: a backlog of cold
// messages is drained roughly in the order it was written, so after a
// couple of reads from one segment the rest of it is usually wanted too, and
// one GET of the whole object is far cheaper than a ranged GET per message.
package tiering
