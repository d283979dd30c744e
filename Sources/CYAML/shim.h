// The only place the package includes libyaml's header; Swift code reaches it through `Pipelines`' YAML layer.
#include <yaml.h>
