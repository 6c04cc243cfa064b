// Ambient types for Vite-processed imports (CSS, assets) and .svelte modules.
/// <reference types="svelte" />
/// <reference types="vite/client" />
