"""The WeChat channel: webhook (/wechat), router, context, handlers, texts."""
