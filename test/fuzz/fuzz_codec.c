/*-------------------------------------------------------------------------
 *
 * fuzz_codec.c
 *	  libFuzzer target for the codec's decoders.
 *
 * The first input byte selects the decoder (even: request, odd: response);
 * the rest is the frame.  Each input goes through frame detection and the
 * decoder in both type modes.  A frame that decodes must re-encode (with
 * its own field choices) into a frame that decodes again to the same RPC
 * and seqid; anything else aborts, as does any memory error.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>

#include "pegasus_codec.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static PegasusEncoder *enc = NULL;

static void
check_request(const guint8 *buf, gsize len, guint flags)
{
	PegasusRequest req;
	PegasusRequest again;
	PegasusCodecError err;
	GByteArray *out;
	gsize		flen;

	(void) pegasus_codec_request_frame_check(buf, len, 1 << 20, &flen, &err);
	if (pegasus_codec_decode_request(buf, len, flags, &req, &err) != PEGASUS_CODEC_OK)
	{
		pegasus_codec_request_clear(&req);
		return;
	}
	out = g_byte_array_new();
	req.header.version = 0;
	if (pegasus_codec_encode_request(enc, &req, PEGASUS_CODEC_ENCODE_PRESENT_ONLY, out, &err) !=
		PEGASUS_CODEC_OK)
		abort();
	if (pegasus_codec_decode_request(out->data, out->len, flags, &again, &err) != PEGASUS_CODEC_OK ||
		again.rpc != req.rpc || again.seqid != req.seqid)
		abort();
	pegasus_codec_request_clear(&again);
	pegasus_codec_request_clear(&req);
	g_byte_array_unref(out);
}

static void
check_response(const guint8 *buf, gsize len, guint flags)
{
	PegasusResponse resp;
	PegasusResponse again;
	PegasusCodecError err;
	GByteArray *out;
	gsize		flen;

	(void) pegasus_codec_response_frame_check(buf, len, 1 << 20, &flen, &err);
	if (pegasus_codec_decode_response(buf, len, flags, &resp, &err) != PEGASUS_CODEC_OK)
	{
		pegasus_codec_response_clear(&resp);
		return;
	}
	/* an ERR_OK clear_scanner frame has no encodable body */
	if (resp.frame_error == PEGASUS_EC_OK && resp.rpc == PEGASUS_RPC_CLEAR_SCANNER)
	{
		pegasus_codec_response_clear(&resp);
		return;
	}
	/* unknown error names are re-encoded as ERR_UNKNOWN */
	out = g_byte_array_new();
	if (pegasus_codec_encode_response(enc, &resp, PEGASUS_CODEC_ENCODE_PRESENT_ONLY, out, &err) !=
		PEGASUS_CODEC_OK)
		abort();
	if (pegasus_codec_decode_response(out->data, out->len, flags, &again, &err) != PEGASUS_CODEC_OK ||
		again.rpc != resp.rpc || again.seqid != resp.seqid ||
		again.has_body != resp.has_body)
		abort();
	pegasus_codec_response_clear(&again);
	pegasus_codec_response_clear(&resp);
	g_byte_array_unref(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	guint8	   *copy;

	if (size < 1)
		return 0;
	if (enc == NULL)
		enc = pegasus_codec_encoder_new();
	/* an exactly-sized heap copy so that any overread is caught */
	copy = g_memdup2(data + 1, size - 1);
	if (data[0] & 1)
	{
		check_response(copy, size - 1, 0);
		check_response(copy, size - 1, PEGASUS_CODEC_DECODE_STRICT_TYPES);
	}
	else
	{
		check_request(copy, size - 1, 0);
		check_request(copy, size - 1, PEGASUS_CODEC_DECODE_STRICT_TYPES);
	}
	g_free(copy);
	return 0;
}
