// The only place the package includes libxml2's headers; Swift code reaches them through `Transcripts`' XML layer.
#include <libxml/xmlversion.h>
// Debian's libxml2 is built with ICU, and its encoding header then pulls in the system ICU headers, which
// clash with the ICU copy inside Swift's Foundation. We use no ICU API, so that include is switched off.
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>
