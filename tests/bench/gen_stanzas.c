/*
 * gen_stanzas: writes a synthetic server-to-client XMPP stream of about
 * MIB mebibytes for the parser benchmarks (tests/bench/bench_parse_*):
 *
 *     gen_stanzas FILE [MIB]        (default 10)
 *
 * The stanzas are the kinds a client receives, mixed by a fixed-seed
 * generator so that every run and both parsers see the same bytes: chat
 * messages (with escaped text, UTF-8, delays, chat states), presences
 * (show, status, caps, MUC items), roster and disco results, pubsub events
 * with Atom entries, pings and errors.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t seed = 0x9e3779b97f4a7c15ull;

static unsigned
rnd(unsigned n)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (unsigned)(seed % n);
}

static const char *const words[] = {
	"hello", "world", "xmpp", "stanza", "&amp;", "&lt;tag&gt;", "caf\xc3\xa9",
	"\xe6\x97\xa5\xe6\x9c\xac", "quick", "brown", "fox", "jumps", "lazy",
	"dog", "\xf0\x9f\x98\x80", "&quot;quoted&quot;", "lorem", "ipsum",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static const char *const users[] = { "alice", "bob", "carol", "dave", "eve" };

static void
text(FILE *f, unsigned nwords)
{
	unsigned i;

	for (i = 0; i < nwords; i++)
		fprintf(f, "%s%s", i ? " " : "", words[rnd(NWORDS)]);
}

static void
message(FILE *f, unsigned long id)
{
	fprintf(f, "<message from='%s@localhost/res%u' to='alice@localhost/bench' "
		"type='chat' id='m%lu' xml:lang='en'><body>",
		users[rnd(5)], rnd(4), id);
	text(f, 3 + rnd(30));
	fputs("</body>", f);
	if (rnd(2))
		fputs("<active xmlns='http://jabber.org/protocol/chatstates'/>", f);
	if (rnd(3) == 0)
		fprintf(f, "<delay xmlns='urn:xmpp:delay' from='localhost' "
			"stamp='2024-01-%02uT10:%02u:00Z'/>", 1 + rnd(28), rnd(60));
	if (rnd(2))
		fprintf(f, "<stanza-id xmlns='urn:xmpp:sid:0' by='alice@localhost' "
			"id='s%lu-%u'/>", id, rnd(1000000));
	fputs("</message>\n", f);
}

static void
presence(FILE *f, unsigned long id)
{
	static const char *const show[] = { "away", "chat", "dnd", "xa" };

	if (rnd(3) == 0) {
		fprintf(f, "<presence from='room%u@conference.localhost/%s' "
			"to='alice@localhost/bench' id='p%lu'>"
			"<x xmlns='http://jabber.org/protocol/muc#user'>"
			"<item affiliation='member' role='participant' "
			"jid='%s@localhost/r%u'/></x></presence>\n",
			rnd(10), users[rnd(5)], id, users[rnd(5)], rnd(9));
		return;
	}
	fprintf(f, "<presence from='%s@localhost/res%u' to='alice@localhost/bench' "
		"id='p%lu'><show>%s</show><status>", users[rnd(5)], rnd(4), id,
		show[rnd(4)]);
	text(f, 1 + rnd(6));
	fprintf(f, "</status><priority>%u</priority>"
		"<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
		"node='https://example.org/client' ver='%08x%08xAbCd='/></presence>\n",
		rnd(10), rnd(0xffffffffu), rnd(0xffffffffu));
}

static void
roster(FILE *f, unsigned long id)
{
	unsigned i, n = 5 + rnd(40);

	fprintf(f, "<iq type='result' id='r%lu' to='alice@localhost/bench'>"
		"<query xmlns='jabber:iq:roster' ver='v%lu'>", id, id);
	for (i = 0; i < n; i++)
		fprintf(f, "<item jid='contact%u@example.org' name='Contact %u' "
			"subscription='both'><group>Friends</group></item>",
			rnd(100000), i);
	fputs("</query></iq>\n", f);
}

static void
disco(FILE *f, unsigned long id)
{
	static const char *const features[] = {
		"http://jabber.org/protocol/disco#info", "urn:xmpp:ping",
		"urn:xmpp:mam:2", "urn:xmpp:carbons:2", "jabber:iq:version",
		"urn:xmpp:blocking", "vcard-temp", "urn:xmpp:time",
	};
	unsigned i;

	fprintf(f, "<iq type='result' id='d%lu' from='localhost' "
		"to='alice@localhost/bench'><query "
		"xmlns='http://jabber.org/protocol/disco#info'>"
		"<identity category='server' type='im' name='Prosody'/>", id);
	for (i = 0; i < 8; i++)
		fprintf(f, "<feature var='%s'/>", features[i]);
	fputs("</query></iq>\n", f);
}

static void
pubsub(FILE *f, unsigned long id)
{
	fprintf(f, "<message from='pubsub.localhost' to='alice@localhost/bench' "
		"id='e%lu'><event xmlns='http://jabber.org/protocol/pubsub#event'>"
		"<items node='princely_musings'><item id='i%u'>"
		"<entry xmlns='http://www.w3.org/2005/Atom'><title>",
		id, rnd(1000000));
	text(f, 2 + rnd(6));
	fputs("</title><summary>", f);
	text(f, 10 + rnd(60));
	fprintf(f, "</summary><link rel='alternate' type='text/html' "
		"href='http://example.org/%u'/><id>tag:example.org,2024:%lu</id>"
		"<published>2024-02-03T04:05:06Z</published>"
		"<updated>2024-02-03T04:05:06Z</updated></entry></item></items>"
		"</event></message>\n", rnd(100000), id);
}

static void
small(FILE *f, unsigned long id)
{
	switch (rnd(3)) {
	case 0:
		fprintf(f, "<iq type='get' id='g%lu' from='localhost' "
			"to='alice@localhost/bench'><ping xmlns='urn:xmpp:ping'/>"
			"</iq>\n", id);
		break;
	case 1:
		fprintf(f, "<iq type='result' id='x%lu' from='localhost' "
			"to='alice@localhost/bench'/>\n", id);
		break;
	default:
		fprintf(f, "<iq type='error' id='y%lu' from='bob@localhost' "
			"to='alice@localhost/bench'><error type='cancel'>"
			"<service-unavailable "
			"xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
			"<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>"
			"Not here</text></error></iq>\n", id);
	}
}

int
main(int argc, char **argv)
{
	FILE *f;
	long mib = argc > 2 ? strtol(argv[2], NULL, 10) : 10;
	unsigned long id = 0;

	if (argc < 2 || mib <= 0) {
		fprintf(stderr, "usage: gen_stanzas FILE [MIB]\n");
		return 2;
	}
	f = fopen(argv[1], "w");
	if (f == NULL) {
		perror(argv[1]);
		return 1;
	}
	fputs("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
	      "xmlns:stream='http://etherx.jabber.org/streams' "
	      "from='localhost' id='bench' version='1.0' xml:lang='en'>\n", f);
	while (ftell(f) < mib * 1024 * 1024) {
		unsigned k = rnd(100);

		id++;
		if (k < 45)
			message(f, id);
		else if (k < 75)
			presence(f, id);
		else if (k < 80)
			roster(f, id);
		else if (k < 85)
			disco(f, id);
		else if (k < 92)
			pubsub(f, id);
		else
			small(f, id);
	}
	fputs("</stream:stream>", f);
	if (fclose(f) != 0) {
		perror(argv[1]);
		return 1;
	}
	fprintf(stderr, "gen_stanzas: %lu stanzas\n", id);
	return 0;
}
