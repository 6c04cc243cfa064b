// Svelte compiler config shared by Vite and svelte-check: TypeScript in <script lang="ts">
// goes through Vite's preprocessor so both tools see the same code.
import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

export default {
  preprocess: vitePreprocess(),
};
