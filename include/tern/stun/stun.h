// Everything in tern's STUN/TURN/ICE codec (tern::stun): message parsing and building, attributes,
// credentials, ChannelData.
#ifndef TERN_STUN_STUN_H_
#define TERN_STUN_STUN_H_

#include "tern/stun/attributes.h"
#include "tern/stun/channel_data.h"
#include "tern/stun/constants.h"
#include "tern/stun/credentials.h"
#include "tern/stun/message.h"
#include "tern/stun/message_builder.h"

#endif  // TERN_STUN_STUN_H_
