#!/usr/bin/env node
// The installed `batchwatch` command. It lives outside dist/ so that a package manager can link it
// before the first build: a fresh workspace install would otherwise warn that dist/bin.js is missing.
import '../dist/bin.js';
