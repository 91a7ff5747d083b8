// Vite builds the UI into dist/, which `kechan serve` serves at /. During development
// `npm run dev` proxies /api to a running server (KECHAN_API, default 127.0.0.1:8080).
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  base: '/',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    chunkSizeWarningLimit: 1600,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts'
          if (id.includes('node_modules/element-plus')) return 'element-plus'
          if (id.includes('node_modules')) return 'vendor'
        },
      },
    },
  },
  server: {
    proxy: { '/api': process.env.KECHAN_API || 'http://127.0.0.1:8080' },
  },
})
