/**
 * WXBizMsgCrypt vectors published by WeChat and WeCom, copied as published (ciphertexts, signatures, plaintexts).
 * Each was checked against its source's own statement of the result; none is generated here.
 */

/**
 * The Open Platform's "message push" page (第三方平台 › 开发前必读 › 消息推送, developers.weixin.qq.com/doc/oplatform/
 * Third-party_Platforms/2.0/api/Before_Develop/message_push.html), its worked `debug_demo` example: the push
 * (random "1205899eaf019bbd", msg_len 292, a 22-byte pad) and the encrypted reply built on the same page.
 */
export const OPEN_PLATFORM = {
  token: 'AAAAA',
  encodingAESKey: 'A'.repeat(43),
  receiveId: 'wx134c8103faa5a59e',
  push: {
    query:
      'signature=cc0c594499c1634947d5b502f158ee518947db27&timestamp=1715943329&nonce=1590219412' +
      '&openid=o9AgO5Kd5ggOC-bXrbNODIiE3bGY&encrypt_type=aes&msg_signature=6c12a4205838198b8fa631b3220723bb07f1015c',
    timestamp: '1715943329',
    nonce: '1590219412',
    msgSignature: '6c12a4205838198b8fa631b3220723bb07f1015c',
    encrypt:
      'D7yzvUNAL930rd28wf21s4hvXhz0L6Uit/p2Di6C5DHyYGpEgdBRnKjBec34JwoQXicwaZC7fOVihW80F4VtsdvE//1vr7oAbqjDv8KenVp+aj' +
      'KYpJnyQ4zMRhIC+a31fCVOMC03FfzV/QuC94kBP55a+Za3sJgvAn+ZbsNqZI5DkyuzkhQN8OBqCzFhizGmy0xpM0MEA4agpvE+RuNO1rhHTtuJB5' +
      'yltw1FiYzecSXJ+y/D2r81VkRn2eYjh2ltsoyfbDR7Is6ookXIFxTfyeNyeHxMeT4KN5WpCDmSbTcUYrbBUlkGLJ9n/rU8YOywma6G7aTb7KZKOq' +
      'CxgfoUlYEZPk4FUL/TK7ShriFDMVCLyjQJ15Ob++agDWtcxhfUfe6HIoIpRW8mKNBQiY/Jd1svvuskA1wLef1RTtzKfMpagSCX/laZINmdnX4zrF' +
      '6kIaR9P4xQrWXbsTFHTYe0Mg==',
    toUserName: 'gh_97417a04a28d',
    message:
      '<xml><ToUserName><![CDATA[gh_97417a04a28d]]></ToUserName>\n' +
      '<FromUserName><![CDATA[o9AgO5Kd5ggOC-bXrbNODIiE3bGY]]></FromUserName>\n' +
      '<CreateTime>1715943329</CreateTime>\n' +
      '<MsgType><![CDATA[event]]></MsgType>\n' +
      '<Event><![CDATA[debug_demo]]></Event>\n' +
      '<debug_str><![CDATA[hello world]]></debug_str>\n' +
      '</xml>',
  },
  reply: {
    random: '999951349e8ee746',
    message: '<xml><demo_resp>[CDATA[good luck]]</demo_resp></xml>',
    timestamp: '1713424427',
    nonce: '415670741',
    encrypt:
      'hE8R6mGXHkJJjU72KxzKUd1GEkKJaEZq7vRL8XgK3o+00k8JGq6+pZJUIlTSyhsX+bxIBQ72g3GyvDdIZcr6+3HAZbSvPT9t/o11MI7d6WELwq' +
      'rGd7jMnV0zv3Zc9Nq7',
    msgSignature: '03e0812039325c2712ef5f0f980fd14c70d6e307',
  },
} as const

/**
 * WeCom's official callback sample (WXBizMsgCrypt samples in PHP, Java, C#, Python — e.g. the comments of
 * sbzhu/weworkapi_python callback/Sample.py and the Java sample's WXBizMsgCryptTest.testVerifyUrl): the URL check
 * (echostr decrypts to "1616140317555161061") and a text message whose plaintext has a 30-byte pad.
 */
export const WECOM = {
  token: 'QDG6eK',
  encodingAESKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  receiveId: 'wx5823bf96d3bd56c7',
  urlCheck: {
    /** The GET as the sample shows it, percent-encoded. */
    query:
      'msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780' +
      '&echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D',
    timestamp: '1409659589',
    echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
    echo: '1616140317555161061',
  },
  message: {
    query: 'msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149',
    timestamp: '1409659813',
    nonce: '1372623149',
    msgSignature: '477715d11cdb4164915debcba66cb864d751f3e6',
    encrypt:
      'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJT' +
      's3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hg' +
      'f5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4Ehz' +
      'JWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2Yoy' +
      'yH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==',
    agentId: '218',
    /**
     * Not printed in the samples (they print whatever decrypts): what the published ciphertext decrypts to, 284
     * bytes with a 30-byte pad, its length field, pad and receive id all consistent.
     */
    message:
      '<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n' +
      '<FromUserName><![CDATA[mycreate]]></FromUserName>\n' +
      '<CreateTime>1409659813</CreateTime>\n' +
      '<MsgType><![CDATA[text]]></MsgType>\n' +
      '<Content><![CDATA[hello]]></Content>\n' +
      '<MsgId>4561255354251345929</MsgId>\n' +
      '<AgentID>218</AgentID>\n' +
      '</xml>',
  },
} as const

/**
 * WeCom's official Python sample (sbzhu/weworkapi_python, callback/Sample.py), whose code uses a second set: a
 * `ww` corp id, and a message with plain-text (not CDATA) fields and multi-byte content.
 */
export const WECOM_PYTHON_SAMPLE = {
  token: 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo',
  encodingAESKey: '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt',
  receiveId: 'ww1436e0e65a779aee',
  urlCheck: {
    msgSignature: '012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb',
    timestamp: '1476416373',
    nonce: '47744683',
    echostr: 'fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==',
  },
  message: {
    msgSignature: '0c3914025cb4b4d68103f6bfc8db550f79dcf48e',
    timestamp: '1476422779',
    nonce: '1597212914',
    body:
      '<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n<Encrypt><![CDATA[Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaO' +
      'nwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+N' +
      'cT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZU' +
      'C2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aS' +
      'DPOYuPDGOCI8jmnKiypE+]]></Encrypt>\n<AgentID><![CDATA[1000002]]></AgentID>\n</xml>',
  },
} as const

/**
 * WeChat's official-account WXBizMsgCrypt sample test (WXBizMsgCryptTest.testAesEncrypt, also in WxJava's
 * WxCryptUtilTest): a fixed random, so encryption is reproducible; the message is multi-byte (msg_len counts bytes).
 */
export const OFFICIAL_ACCOUNT_SAMPLE = {
  token: 'pamtest',
  encodingAESKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  receiveId: 'wxb11529c136998cb6',
  random: 'aaaabbbbccccdddd',
  message: '我是中文abcd123',
  encrypt: 'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==',
} as const
