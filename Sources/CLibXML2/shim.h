// The only place the package includes libxml2's headers; Swift code reaches them through `Transcripts`' XML layer.
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlerror.h>
#include <libxml/encoding.h>
